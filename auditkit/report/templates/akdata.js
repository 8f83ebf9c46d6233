/* Unpack a data file written by auditkit/report/pages.py write_data(): base64 of gzipped JSON,
   decoded with the browser's own gzip decoder (no library, no network). */
window.akData = function (name) {
  const packed = window[name];
  if (typeof packed !== "string") return Promise.resolve(packed || null);
  const bytes = Uint8Array.from(atob(packed), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).text().then((text) => JSON.parse(text));
};
