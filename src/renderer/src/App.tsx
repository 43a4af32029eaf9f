import { useEffect, useState } from 'react';
import { HealthPanel } from './components/HealthPanel';
import { TrainingBanner } from './components/TrainingBanner';
import { Checkout } from './screens/Checkout';
import { useLang, useT, type MessageKey } from './i18n';
import { subscribeAppEvents, useAppStore } from './store/app-store';

const SCREENS = ['checkout', 'status'] as const;
type Screen = (typeof SCREENS)[number];

/** The cashier window's shell: mode banner, header with version and mode from the core, the screens. */
export function App(): React.JSX.Element {
  const t = useT();
  const { info, error, load } = useAppStore();
  const { lang, setLang } = useLang();
  const [screen, setScreen] = useState<Screen>('checkout');

  useEffect(() => {
    void load();
    return subscribeAppEvents();
  }, [load]);

  return (
    <div className="app">
      <TrainingBanner visible={info?.mode === 'training'} />
      <header className="app-head">
        <h1>{t('app.title')}</h1>
        <nav className="tabs">
          {SCREENS.map((s) => (
            <button key={s} type="button" tabIndex={-1} onMouseDown={(e) => e.preventDefault()} className={s === screen ? 'active' : ''} data-testid={`nav-${s}`} onClick={() => setScreen(s)}>
              {t(`nav.${s}` as MessageKey)}
            </button>
          ))}
        </nav>
        <span className="spacer" />
        {info !== null && (
          <span className="app-meta" data-testid="app-meta">
            <span data-testid="app-mode" className={`mode mode-${info.mode}`}>
              {info.mode === 'training' ? t('app.training') : t('app.live')}
            </span>
            <span data-testid="app-version">
              {t('app.version')} {info.version}
            </span>
          </span>
        )}
        <button type="button" className="lang" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}>
          {t('app.language')}
        </button>
      </header>
      <main className="app-main">
        {error !== null ? (
          <p className="error">
            {t('app.hostError')}: {error}
          </p>
        ) : info === null ? (
          <p>{t('app.connecting')}</p>
        ) : screen === 'checkout' ? (
          <Checkout />
        ) : (
          <HealthPanel />
        )}
        {info !== null && info.configError !== null && <p className="error">{info.configError}</p>}
      </main>
      {info !== null && (
        <footer className="app-foot">
          {t('app.dataDir')}: <code>{info.dataDir}</code>
        </footer>
      )}
    </div>
  );
}
