import { useEffect, useState } from 'react';
import type { SettingsView } from '../../../shared/ipc/contract';
import { call } from '../bridge/client';
import { useT, type MessageKey } from '../i18n';
import { BusinessDaySection, LaneSection, LimitsSection, NotificationsSection, PollingSection, QrSection, ShopSection } from './manage/BasicSections';
import { BpcSection } from './manage/BpcSection';
import { useManageErrorText } from './manage/common';
import { DevicesSection } from './manage/DevicesSection';
import { HqSection } from './manage/HqSection';
import { ModeSection } from './manage/ModeSection';
import { OperatorsSection } from './manage/OperatorsSection';
import { YimaSection } from './manage/YimaSection';
import './manage.css';
import '../i18n/back-office';

const SECTIONS = ['bpc', 'yima', 'qr', 'polling', 'notifications', 'limits', 'shop', 'businessDay', 'devices', 'hq', 'operators', 'mode'] as const;
type Section = (typeof SECTIONS)[number];

/**
 * 设置 — the supervisor's settings, one section at a time, each saved on its own with a supervisor
 * code + PIN. Secrets are write-only. Alt+↑/↓ moves between sections; Enter saves the open one.
 */
export function Settings(): React.JSX.Element {
  const t = useT();
  const errorText = useManageErrorText();
  const [view, setView] = useState<SettingsView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [section, setSection] = useState<Section>('bpc');

  useEffect(() => {
    call('settings:get', undefined)
      .then(setView)
      .catch((e: unknown) => setError(errorText(e)));
  }, [errorText]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (!e.altKey || (e.key !== 'ArrowDown' && e.key !== 'ArrowUp')) return;
      e.preventDefault();
      setSection((s) => {
        const i = SECTIONS.indexOf(s) + (e.key === 'ArrowDown' ? 1 : -1);
        return SECTIONS[(i + SECTIONS.length) % SECTIONS.length] ?? s;
      });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <section className="manage settings" data-testid="settings">
      <nav className="settings-nav panel" aria-label={t('nav.settings')}>
        {SECTIONS.map((s) => (
          <button
            key={s}
            type="button"
            className={s === section ? 'active' : ''}
            aria-current={s === section ? 'page' : undefined}
            onClick={() => setSection(s)}
            data-testid={`settings-nav-${s}`}
          >
            {t(`manage.section.${s}` as MessageKey)}
          </button>
        ))}
        <p className="hint">{t('manage.settings.navHint')}</p>
      </nav>
      <div className="settings-body">
        {error !== null && <p className="error">{error}</p>}
        {view === null ? (
          error === null && <p>{t('manage.loading')}</p>
        ) : section === 'bpc' ? (
          <BpcSection view={view} onSaved={setView} />
        ) : section === 'yima' ? (
          <YimaSection view={view} onSaved={setView} />
        ) : section === 'qr' ? (
          <QrSection view={view} onSaved={setView} />
        ) : section === 'polling' ? (
          <PollingSection view={view} onSaved={setView} />
        ) : section === 'notifications' ? (
          <NotificationsSection view={view} onSaved={setView} />
        ) : section === 'limits' ? (
          <LimitsSection view={view} onSaved={setView} />
        ) : section === 'shop' ? (
          <>
            <ShopSection view={view} onSaved={setView} />
            <LaneSection view={view} onSaved={setView} />
          </>
        ) : section === 'businessDay' ? (
          <BusinessDaySection view={view} onSaved={setView} />
        ) : section === 'devices' ? (
          <DevicesSection view={view} onSaved={setView} />
        ) : section === 'hq' ? (
          <HqSection view={view} onSaved={setView} />
        ) : section === 'operators' ? (
          <OperatorsSection />
        ) : (
          <ModeSection view={view} />
        )}
      </div>
    </section>
  );
}
