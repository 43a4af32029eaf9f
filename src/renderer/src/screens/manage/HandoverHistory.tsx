import { useEffect, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import type { ChannelOutput } from '../../../../shared/ipc/types';
import { call } from '../../bridge/client';
import { PastHandover } from '../../components/Handover';
import { useT } from '../../i18n';
import { formatFen, formatTime } from '../../lib/format';
import { useManageErrorText } from './common';

type Shift = ChannelOutput<'shift:list'>[number];

/**
 * 交班记录: the handovers that ended on the chosen business day, per operator; Enter (or a click)
 * reopens one to read again or reprint.
 */
export function HandoverHistory({ day, operator }: { day: string; operator: string }): React.JSX.Element {
  const t = useT();
  const errorText = useManageErrorText();
  const [shifts, setShifts] = useState<Shift[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<Shift | null>(null);
  const opener = useRef<HTMLButtonElement | null>(null);

  useEffect(() => {
    let live = true;
    call('shift:list', { day, ...(operator === '' ? {} : { operator }) })
      .then((list) => {
        if (live) {
          setShifts(list);
          setError(null);
        }
      })
      .catch((e: unknown) => live && setError(errorText(e)));
    return () => {
      live = false;
    };
  }, [day, operator, errorText]);

  return (
    <div className="panel handover-history" data-testid="handover-history">
      <h3>{t('manage.handovers.title')}</h3>
      {error !== null && <p className="error">{error}</p>}
      {shifts !== null && shifts.length === 0 && <p className="hint">{t('manage.handovers.none')}</p>}
      {shifts !== null && shifts.length > 0 && (
        <ul className="handover-list">
          {shifts.map((s) => (
            <li key={s.id}>
              <button
                type="button"
                onClick={(e) => {
                  opener.current = e.currentTarget;
                  setOpen(s);
                }}
                data-testid="handover-item"
                data-id={s.id}
              >
                <span className="who">{s.operator}</span> {formatTime(s.startedAt)} – {s.endedAt === null ? '' : formatTime(s.endedAt)}
                {s.report !== null && <span className="net"> · ¥{formatFen(s.report.totals.netFen)}</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
      {open !== null &&
        // On top of everything, outside the side panel (which does not print): the dialog is what prints.
        createPortal(
          <PastHandover
            shift={open}
            onClose={() => {
              setOpen(null);
              setTimeout(() => opener.current?.focus(), 0);
            }}
          />,
          document.body,
        )}
    </div>
  );
}
