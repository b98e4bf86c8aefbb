// Image IDs for a series, and the WADO-RS metadata Cornerstone must hold before it loads frames.
import { wadors } from '@cornerstonejs/dicom-image-loader';
import { t, format } from './i18n.js';

const SOP_INSTANCE_UID = '00080018';

export class SeriesUnavailable extends Error {}

function absolute(root) {
  return new URL(root, window.location.href).href.replace(/\/$/, '');
}

// imageIds[slice][phase] for one manifest series entry. The WADO-RS loader needs every instance's
// metadata registered first; the WADO-URI loader (kept for the benchmark) reads it from the file.
export async function loadSeriesImageIds({ manifest, series, loader }) {
  const root = absolute(manifest.dicomweb);
  const seriesUrl = `${root}/studies/${manifest.study}/series/${series.uid}`;
  if (loader === 'wadouri') {
    return series.slices.map((slice) =>
      slice.frames.map(([sop, frame]) => {
        const query = new URLSearchParams({
          requestType: 'WADO', studyUID: manifest.study, seriesUID: series.uid, objectUID: sop,
          contentType: 'application/dicom',
        });
        const frameSuffix = frame > 1 ? `&frame=${frame - 1}` : '';
        return `wadouri:${root}/wado?${query}${frameSuffix}`;
      }),
    );
  }
  // No Accept header of its own (the server answers */* with DICOM JSON): the request then
  // matches the page's <link rel=preload as=fetch crossorigin> and reuses its response.
  const response = await fetch(`${seriesUrl}/metadata`);
  if (!response.ok) {
    throw new SeriesUnavailable(format('The server refused the series metadata (HTTP %(status)s).', { status: response.status }));
  }
  let instances;
  try {
    instances = await response.json();
  } catch {
    throw new SeriesUnavailable(t('The series metadata is not valid DICOM JSON.'));
  }
  const bySop = new Map();
  for (const metadata of instances) {
    const uid = metadata[SOP_INSTANCE_UID]?.Value?.[0];
    if (uid) bySop.set(uid, metadata);
  }
  return series.slices.map((slice) =>
    slice.frames.map(([sop, frame]) => {
      const imageId = `wadors:${seriesUrl}/instances/${sop}/frames/${frame}`;
      const metadata = bySop.get(sop);
      if (!metadata) throw new SeriesUnavailable(t('An image of this series has no metadata.'));
      wadors.metaDataManager.add(imageId, metadata);
      return imageId;
    }),
  );
}
