import QRCode from 'qrcode';
import { useEffect, useState } from 'react';

/** Renders the gateway's scanCode as a QR image (data: URL, allowed by the CSP). */
export function QrImage({ text, size, testId }: { text: string; size: number; testId: string }): React.JSX.Element {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    QRCode.toDataURL(text, { errorCorrectionLevel: 'M', margin: 2, width: size })
      .then((url) => {
        if (alive) setSrc(url);
      })
      .catch(() => {
        if (alive) setSrc(null);
      });
    return () => {
      alive = false;
    };
  }, [text, size]);
  return src === null ? (
    <div className="qr-placeholder" style={{ width: size, height: size }} />
  ) : (
    <img className="qr" src={src} width={size} height={size} alt="QR" data-testid={testId} data-scan-code={text} />
  );
}
