import { useT } from '../../i18n';
import { formatFen } from '../../lib/format';

export interface HourBar {
  hour: number;
  paidCount: number;
  paidFen: number;
}

const WIDTH = 720;
const HEIGHT = 180;
const LEFT = 56;
const BOTTOM = 22;
const TOP = 14;

/**
 * Paid amount per local hour as 24 SVG bars (no chart library). Heights are relative to the busiest
 * hour; each bar has a tooltip with count and amount. An all-zero day draws a flat axis.
 */
export function HourlyChart({ hours }: { hours: readonly HourBar[] }): React.JSX.Element {
  const t = useT();
  const byHour = Array.from({ length: 24 }, (_, hour) => hours.find((h) => h.hour === hour) ?? { hour, paidCount: 0, paidFen: 0 });
  const max = Math.max(0, ...byHour.map((h) => h.paidFen));
  const plotW = WIDTH - LEFT - 8;
  const plotH = HEIGHT - TOP - BOTTOM;
  const slot = plotW / 24;
  const barW = slot * 0.7;
  return (
    <svg className="hourly-chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={t('manage.report.hourly')} data-testid="hourly-chart">
      <line x1={LEFT} y1={TOP + plotH} x2={WIDTH - 8} y2={TOP + plotH} className="axis" />
      <line x1={LEFT} y1={TOP} x2={LEFT} y2={TOP + plotH} className="axis" />
      <text x={LEFT - 6} y={TOP + 4} className="tick" textAnchor="end">
        {formatFen(max)}
      </text>
      <text x={LEFT - 6} y={TOP + plotH} className="tick" textAnchor="end">
        0
      </text>
      {byHour.map((h) => {
        const height = max === 0 ? 0 : Math.max(h.paidFen > 0 ? 2 : 0, (h.paidFen / max) * plotH);
        const x = LEFT + h.hour * slot + (slot - barW) / 2;
        return (
          <g key={h.hour} data-testid={`hour-${h.hour}`} data-fen={h.paidFen}>
            <rect x={x} y={TOP + plotH - height} width={barW} height={height} className="bar">
              <title>{t('manage.report.hourTip', { hour: String(h.hour).padStart(2, '0'), count: h.paidCount, amount: formatFen(h.paidFen) })}</title>
            </rect>
            {h.hour % 3 === 0 && (
              <text x={LEFT + h.hour * slot + slot / 2} y={HEIGHT - 6} className="tick" textAnchor="middle">
                {String(h.hour).padStart(2, '0')}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
