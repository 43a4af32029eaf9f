import { useEffect, useState } from 'react';

/** The window's inner size, kept current on resize (the customer display scales to its screen). */
export function useViewport(): { width: number; height: number } {
  const read = (): { width: number; height: number } => ({ width: window.innerWidth, height: window.innerHeight });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = (): void => setSize(read());
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, []);
  return size;
}

/**
 * The customer QR's side in CSS pixels: as large as the screen allows beside the amount (landscape)
 * or above it (portrait), never below the size a phone reads from arm's length.
 */
export function customerQrSize(width: number, height: number): number {
  const landscape = width >= height;
  const side = landscape ? Math.min(height * 0.78, width * 0.46) : Math.min(width * 0.8, height * 0.5);
  return Math.max(160, Math.floor(side));
}
