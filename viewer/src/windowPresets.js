// Window/level presets for MR, whose pixel values have no fixed scale (unlike CT's Hounsfield
// units): each preset is derived from the series' own first image. Their names are in the
// page (templates/viewer/_viewer.html), in the same order.
function first(value) {
  return Array.isArray(value) ? value[0] : value;
}

function range(center, width) {
  return { lower: center - width / 2, upper: center + width / 2 };
}

export function windowPresets(image) {
  const low = image.minPixelValue ?? 0;
  const high = image.maxPixelValue ?? low + 1;
  const full = { lower: low, upper: Math.max(high, low + 1) };
  const center = Number(first(image.windowCenter));
  const width = Number(first(image.windowWidth));
  const stored = Number.isFinite(center) && Number.isFinite(width) && width > 0 ? range(center, width) : full;
  const storedCenter = (stored.lower + stored.upper) / 2;
  const storedWidth = stored.upper - stored.lower;
  return [
    { key: 'default', voiRange: stored },
    { key: 'full', voiRange: full },
    { key: 'contrast', voiRange: range(storedCenter, storedWidth / 2) },
    { key: 'soft', voiRange: range(storedCenter, storedWidth * 1.5) },
  ];
}
