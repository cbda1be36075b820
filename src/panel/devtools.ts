// Registers the "Realtime" panel in Chrome DevTools.
chrome.devtools.panels.create('Realtime', '', 'src/panel/panel.html');
