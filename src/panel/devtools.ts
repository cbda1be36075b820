// Registers the "Realtime" panel in the browser's DevTools. The path starts at the extension's
// root: Firefox resolves a relative one against this page (src/panel/), Chrome against the root.
chrome.devtools.panels.create('Realtime', '', '/src/panel/panel.html');
