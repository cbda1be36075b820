import { render } from 'preact';
render(<div>Realtime Inspector</div>, document.getElementById('app')!);
