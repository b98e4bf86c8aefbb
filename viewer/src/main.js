// Entry point: every element marked data-cmr-viewer on the page becomes a case viewer.
import { startViewer } from './viewer.js';

for (const root of document.querySelectorAll('[data-cmr-viewer]')) {
  startViewer(root);
}
