// Django's JavaScript catalogue (/jsi18n/) defines gettext and interpolate before this bundle runs;
// without it (a page that forgot the catalogue) strings stay in English.
export function t(message) {
  return typeof window.gettext === 'function' ? window.gettext(message) : message;
}

export function format(message, values) {
  const translated = t(message);
  if (typeof window.interpolate === 'function') return window.interpolate(translated, values, true);
  return translated.replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
}

// The plural form of the catalogue's language for count (Chinese has one form, English two).
export function nformat(singular, plural, count, values) {
  const translated = typeof window.ngettext === 'function'
    ? window.ngettext(singular, plural, count)
    : (count === 1 ? singular : plural);
  if (typeof window.interpolate === 'function') return window.interpolate(translated, values, true);
  return translated.replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
}
