import { useEffect } from 'react';
import { TrainingBanner } from './components/TrainingBanner';
import { useT } from './i18n';
import { subscribeAppEvents, useAppStore } from './store/app-store';

/** The customer-facing second screen. Driven by state from the core, never by the cashier's typing. */
export function CustomerDisplay(): React.JSX.Element {
  const t = useT();
  const { info, load } = useAppStore();
  useEffect(() => {
    void load();
    return subscribeAppEvents();
  }, [load]);
  return (
    <div className="customer">
      <TrainingBanner visible={info?.mode === 'training'} />
      <div className="customer-body" data-testid="customer-idle">
        <h1>{t('display.welcome')}</h1>
      </div>
    </div>
  );
}
