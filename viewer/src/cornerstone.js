// One-time set-up of Cornerstone3D core, its tools and the DICOM image loader.
import { init as initCore, setUseCPURendering } from '@cornerstonejs/core';
import {
  Enums as ToolEnums, PanTool, ToolGroupManager, WindowLevelTool, ZoomTool, addTool, init as initTools,
} from '@cornerstonejs/tools';
import { init as initImageLoader } from '@cornerstonejs/dicom-image-loader';
import { MEASUREMENT_TOOLS } from './measurements.js';

export const TOOL_GROUP_ID = 'cmr-viewer-tools';
let ready = null;

export function initCornerstone() {
  if (!ready) ready = setUp();
  return ready;
}

async function setUp() {
  await initCore();
  if (useCpuRendering()) setUseCPURendering(true);
  // Decoding runs in web workers: two at least, so one decodes while the other receives.
  const cores = navigator.hardwareConcurrency || 2;
  initImageLoader({ maxWebWorkers: Math.max(2, Math.min(4, cores - 1)) });
  initTools();
  for (const Tool of [WindowLevelTool, PanTool, ZoomTool]) addTool(Tool);
  const group = ToolGroupManager.createToolGroup(TOOL_GROUP_ID);
  const { MouseBindings } = ToolEnums;
  group.addTool(WindowLevelTool.toolName);
  group.addTool(PanTool.toolName);
  group.addTool(ZoomTool.toolName);
  // Measurements stay drawn (passive) until the Measure toolbar gives them the left button.
  for (const { Tool, configuration } of MEASUREMENT_TOOLS) {
    addTool(Tool);
    group.addTool(Tool.toolName, configuration);
    group.setToolPassive(Tool.toolName);
  }
  group.setToolActive(WindowLevelTool.toolName, { bindings: [{ mouseButton: MouseBindings.Primary }] });
  group.setToolActive(PanTool.toolName, { bindings: [{ mouseButton: MouseBindings.Auxiliary }] });
  group.setToolActive(ZoomTool.toolName, { bindings: [{ mouseButton: MouseBindings.Secondary }] });
  return { toolGroup: group };
}

// Cornerstone's CPU path draws a 2D stack faster than WebGL emulated in software (SwiftShader,
// llvmpipe: machines without a GPU, headless browsers); with a real GPU, WebGL. ?render=cpu or
// ?render=gpu overrides, for measuring one against the other.
export function useCpuRendering() {
  const asked = new URLSearchParams(window.location.search).get('render');
  if (asked === 'cpu' || asked === 'gpu') return asked === 'cpu';
  // Probing WebGL costs ~25 ms; the answer holds for the browser session.
  const remembered = window.sessionStorage?.getItem('cmr-viewer-render');
  if (remembered === 'cpu' || remembered === 'gpu') return remembered === 'cpu';
  const cpu = softwareWebGL();
  window.sessionStorage?.setItem('cmr-viewer-render', cpu ? 'cpu' : 'gpu');
  return cpu;
}

function softwareWebGL() {
  try {
    const gl = document.createElement('canvas').getContext('webgl2');
    if (!gl) return true;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : '';
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return /swiftshader|llvmpipe|softpipe|software/i.test(renderer);
  } catch {
    return true;
  }
}
