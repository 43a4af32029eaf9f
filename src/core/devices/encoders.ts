/**
 * Picks the display encoder for a configuration. Each protocol is its own module because the command
 * sets collide (an LED-8 lamp command means something else on a VFD).
 */
import { AppError } from '../../shared/errors';
import type { PoleDisplayConfig } from '../../shared/devices';
import type { DisplayEncoder } from './display-types';
import { createLed8Encoder } from './led8';
import { createCd5220Encoder } from './cd5220';
import { createEscposEncoder } from './escpos';
import { createCustomEncoder } from './custom';

/** The encoder for `config.protocol`. Fails with CONFIG_INVALID for a custom protocol with bad templates. */
export function createDisplayEncoder(config: PoleDisplayConfig): DisplayEncoder {
  switch (config.protocol) {
    case 'led8':
      return createLed8Encoder({ lampVariant: config.lampVariant, dotTakesCell: config.dotTakesCell });
    case 'cd5220':
      return createCd5220Encoder({ encoding: config.encoding, hanziMode: config.hanziMode });
    case 'escpos':
      return createEscposEncoder({ encoding: config.encoding, hanziMode: config.hanziMode });
    case 'custom':
      if (config.custom === undefined) {
        throw new AppError('CONFIG_INVALID', 'the custom display protocol needs its templates', { field: 'custom' });
      }
      return createCustomEncoder(config.custom, config.encoding);
  }
}
