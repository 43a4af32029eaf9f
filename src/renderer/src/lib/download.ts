/** A file produced by the host (e.g. `day:export`), carried over the bridge as base64. */
export interface HostFile {
  fileName: string;
  mime: string;
  base64: string;
}

/**
 * Decodes standard base64 into bytes. Throws (DOMException `InvalidCharacterError` from `atob`) when
 * the text is not valid base64.
 */
export function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Saves a host-produced file through the browser's download machinery: a Blob URL on an anchor with
 * the `download` attribute, clicked once. Electron turns this into its own save dialog; a browser
 * saves it to the downloads folder. Throws when the base64 is invalid; nothing is downloaded then.
 */
export function downloadHostFile(file: HostFile, doc: Document = document): void {
  const blob = new Blob([base64ToBytes(file.base64)], { type: file.mime });
  const url = URL.createObjectURL(blob);
  const anchor = doc.createElement('a');
  anchor.href = url;
  anchor.download = file.fileName;
  anchor.rel = 'noopener';
  anchor.style.display = 'none';
  doc.body.appendChild(anchor);
  try {
    anchor.click();
  } finally {
    anchor.remove();
    // Revoking at once can abort the download in some browsers; the URL only holds memory.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}
