import { useT } from '../i18n';

/** Shown on every screen, cashier and customer alike, while the app is in training mode. */
export function TrainingBanner({ visible }: { visible: boolean }): React.JSX.Element | null {
  const t = useT();
  if (!visible) return null;
  return (
    <div className="training-banner" role="status" data-testid="training-banner">
      <strong>{t('app.training')}</strong>
      <span>{t('app.trainingHint')}</span>
    </div>
  );
}
