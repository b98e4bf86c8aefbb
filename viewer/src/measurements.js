// Measurements (length caliper, point probe, elliptical ROI) with Cornerstone3D's own annotation
// tools, and the window/level and zoom readout of each viewport. Measurements live in
// Cornerstone's annotation state in this browser tab only: nothing here writes DICOM or talks to
// the server, and they are gone when the page is left.
import { utilities as csUtils } from '@cornerstonejs/core';
import {
  EllipticalROITool, Enums as ToolEnums, LengthTool, ProbeTool, WindowLevelTool, annotation,
  utilities as toolUtilities,
} from '@cornerstonejs/tools';
import { format } from './i18n.js';

// The toolbar's names (data-measure) for the primary-button tools.
export const PRIMARY_TOOLS = {
  windowLevel: WindowLevelTool.toolName,
  length: LengthTool.toolName,
  probe: ProbeTool.toolName,
  ellipse: EllipticalROITool.toolName,
};
const MEASUREMENT_NAMES = {
  [LengthTool.toolName]: 'length',
  [ProbeTool.toolName]: 'probe',
  [EllipticalROITool.toolName]: 'ellipse',
};

// Cornerstone 5.14's probe reads a stack image's pixel at k = the image's position in the stack,
// past the end of that one-frame image's data: the value is missing on every image but the first.
// This reads the same pixel at k = 0 when Cornerstone found none.
class StackProbeTool extends ProbeTool {
  _calculateCachedStats(annotation, renderingEngine, enabledElement, changeType) {
    const cachedStats = super._calculateCachedStats(annotation, renderingEngine, enabledElement, changeType);
    for (const [targetId, stats] of Object.entries(cachedStats)) {
      if (!targetId.startsWith('imageId:') || !stats.index || stats.value !== undefined) continue;
      const image = this.getTargetImageData(targetId);
      const [i, j] = stats.index;
      if (!image?.voxelManager || !csUtils.indexWithinDimensions([i, j, 0], image.dimensions)) continue;
      stats.value = image.voxelManager.getAtIJK(i, j, 0);
    }
    return cachedStats;
  }
}

// Added to the tool group by cornerstone.js, with labels the reader's language can translate.
export const MEASUREMENT_TOOLS = [
  { Tool: LengthTool, configuration: { getTextLines: lengthLines } },
  { Tool: StackProbeTool, configuration: { getTextLines: probeLines } },
  { Tool: EllipticalROITool, configuration: { getTextLines: ellipseLines } },
];

const number = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '–');

function lengthLines(data, targetId) {
  const { length, unit } = data.cachedStats[targetId] ?? {};
  if (!Number.isFinite(length)) return undefined;
  return [`${number(length)} ${unit}`]; // a number and its unit: nothing to translate
}

function probeLines(data, targetId) {
  const { index, value } = data.cachedStats[targetId] ?? {};
  if (!index || value === undefined || value === null) return undefined;
  const shown = (v) => (Number.isInteger(v) ? String(v) : number(v)); // stored values are integers
  return [
    format('Value %(value)s', { value: [].concat(value).map(shown).join(', ') }),
    // Counted from 1 for the reader; state() keeps Cornerstone's indices, from 0.
    format('Row %(row)s, column %(column)s', { row: index[1] + 1, column: index[0] + 1 }),
  ];
}

function ellipseLines(data, targetId) {
  const { area, areaUnit, mean, stdDev } = data.cachedStats[targetId] ?? {};
  if (!Number.isFinite(area)) return undefined;
  return [
    format('Area %(area)s %(unit)s', { area: number(area), unit: areaUnit }),
    format('Mean %(mean)s, SD %(sd)s', { mean: number(mean), sd: number(stdDev) }),
  ];
}

// Cornerstone gives its annotation labels their style with setAttribute('style'), which the
// site's Content-Security-Policy (style-src 'self', no inline styles) blocks and reports. The
// same declarations set through CSSOM are allowed, so SVG text elements take that route.
function styleSvgTextThroughCssom() {
  const { prototype } = SVGTextElement;
  if (prototype.cmrStyleThroughCssom) return;
  const setAttribute = prototype.setAttribute;
  prototype.setAttribute = function setAttributeThroughCssom(name, value) {
    if (String(name).toLowerCase() === 'style') this.style.cssText = String(value);
    else setAttribute.call(this, name, value);
  };
  prototype.cmrStyleThroughCssom = true;
}
styleSvgTextThroughCssom();

// Which tool the primary (left) mouse button drives; middle (pan) and right (zoom) stay.
export class MeasureTools {
  constructor({ viewer, toolGroup }) {
    this.viewer = viewer;
    this.toolGroup = toolGroup;
    this.tool = 'windowLevel';
    this.buttons = [...viewer.root.querySelectorAll('button[data-measure]')];
    viewer.root.addEventListener('click', (event) => {
      const button = event.target.closest('button[data-measure], button[data-measure-clear]');
      if (!button || !viewer.root.contains(button)) return;
      if (button.dataset.measure) this.select(button.dataset.measure);
      else this.clear();
    });
    this.showSelected();
  }

  select(name) {
    const toolName = PRIMARY_TOOLS[name];
    if (!toolName || name === this.tool) return;
    // Passive keeps the other tools' measurements on screen, their handles still draggable.
    this.toolGroup.setToolPassive(PRIMARY_TOOLS[this.tool]);
    this.toolGroup.setToolActive(toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Primary }] });
    this.tool = name;
    this.showSelected();
  }

  showSelected() {
    for (const button of this.buttons) {
      button.setAttribute('aria-pressed', String(button.dataset.measure === this.tool));
    }
  }

  // Every measurement of every viewport of this viewer.
  clear() {
    for (const item of this.annotations()) annotation.state.removeAnnotation(item.annotationUID);
    const ids = this.viewer.panels.map((panel) => panel.viewportId);
    if (ids.length) toolUtilities.triggerAnnotationRenderForViewportIds(ids);
  }

  annotations() {
    return (annotation.state.getAllAnnotations() ?? []).filter((item) => MEASUREMENT_NAMES[item.metadata?.toolName]);
  }

  // What tests read: the primary tool and each measurement with its viewport, image and values.
  state() {
    return { tool: this.tool, measurements: this.annotations().map((item) => this.describe(item)) };
  }

  describe(item) {
    const imageId = item.metadata.referencedImageId;
    const stats = Object.values(item.data.cachedStats ?? {})[0] ?? {};
    const where = { panel: -1, slice: null, phase: null };
    this.viewer.panels.some((panel, index) => panel.grid.some((phases, slice) => {
      const phase = phases.indexOf(imageId);
      if (phase < 0) return false;
      Object.assign(where, { panel: index, slice, phase });
      return true;
    }));
    const described = {
      uid: item.annotationUID,
      tool: MEASUREMENT_NAMES[item.metadata.toolName],
      ...where,
      points: (item.data.handles?.points ?? []).map((point) => [...point]), // patient mm
    };
    switch (described.tool) {
      case 'length':
        return { ...described, length: stats.length ?? null, unit: stats.unit ?? null };
      case 'probe':
        return {
          ...described,
          value: stats.value ?? null,
          column: stats.index?.[0] ?? null,
          row: stats.index?.[1] ?? null,
        };
      default:
        return {
          ...described,
          mean: stats.mean ?? null,
          stdDev: stats.stdDev ?? null,
          min: stats.min ?? null,
          max: stats.max ?? null,
          area: stats.area ?? null,
          areaUnit: stats.areaUnit ?? null,
        };
    }
  }
}

// Window width and centre (level) in stored-value units and the zoom relative to the fitted image.
export function readDisplay(viewport) {
  const { voiRange } = viewport.getProperties();
  if (!voiRange) return null;
  const { windowWidth, windowCenter } = csUtils.windowLevel.toWindowLevel(voiRange.lower, voiRange.upper);
  return { window: windowWidth, level: windowCenter, zoom: zoomOf(viewport) };
}

// On-screen millimetres against those of the whole image fitted to the viewport. Not
// viewport.getZoom(): drawing on the CPU it answers canvas pixels per image pixel instead.
function zoomOf(viewport) {
  const image = viewport.getImageData();
  const { clientWidth, clientHeight } = viewport.canvas;
  if (!image || !clientWidth || !clientHeight) return null;
  const { dimensions, spacing, origin, direction } = image;
  const alongRow = origin.map((value, axis) => value + direction[axis] * spacing[0]);
  const [from, to] = [viewport.worldToCanvas(origin), viewport.worldToCanvas(alongRow)];
  const shownPerMm = Math.hypot(to[0] - from[0], to[1] - from[1]) / spacing[0];
  const fittedPerMm = Math.min(clientWidth / (dimensions[0] * spacing[0]), clientHeight / (dimensions[1] * spacing[1]));
  return shownPerMm / fittedPerMm;
}

export function displayText(display) {
  if (!display) return '';
  return [
    format('W %(window)s L %(level)s', { window: Math.round(display.window), level: Math.round(display.level) }),
    format('Zoom %(zoom)s×', { zoom: number(display.zoom, 2) }),
  ].join('\n');
}
