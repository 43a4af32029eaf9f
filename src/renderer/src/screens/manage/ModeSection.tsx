import { BridgeError, call } from '../../bridge/client';
import type { Approval } from '../../components/ApprovalFields';
import type { SettingsView } from '../../../../shared/ipc/contract';
import { useLang, useT } from '../../i18n';
import { useAppStore } from '../../store/app-store';
import { SectionForm } from './SectionForm';

/**
 * Live ↔ training. Live is refused (NOT_CONFIGURED) until the merchant and key are saved; the host's
 * reason is shown. A switch signs the counter out (a shift belongs to one mode). Also the UI language.
 */
export function ModeSection({ view }: { view: SettingsView }): React.JSX.Element {
  const t = useT();
  const { lang, setLang } = useLang();
  const target = view.mode === 'training' ? 'live' : 'training';
  const submit = async (approval: Approval): Promise<string> => {
    try {
      const info = await call('settings:setMode', { mode: target, approval });
      useAppStore.setState({ info });
      return t('manage.mode.switched');
    } catch (e) {
      if (e instanceof BridgeError && e.info.code === 'NOT_CONFIGURED') {
        // The host's reason is English: in Chinese the screen's own sentence stands alone.
        throw new BridgeError({ ...e.info, message: lang === 'en' ? `${t('manage.mode.needsConfig')} (${e.info.message})` : t('manage.mode.needsConfig') });
      }
      throw e;
    }
  };
  return (
    <>
      <SectionForm
        id="mode"
        title={t('manage.mode.title')}
        submitLabel={target === 'live' ? t('manage.mode.toLive') : t('manage.mode.toTraining')}
        intro={
          <>
            <p data-testid="mode-current">
              {t('manage.mode.current')}
              <strong className={`mode-${view.mode}`}>{view.mode === 'training' ? t('app.training') : t('app.live')}</strong>
            </p>
            {view.modeReason !== '' && <p className="hint">{view.modeReason}</p>}
            <p className="warning">{target === 'live' ? t('manage.mode.liveWarning') : t('manage.mode.trainingWarning')}</p>
          </>
        }
        submit={submit}
      >
        {null}
      </SectionForm>
      <div className="panel settings-section">
        <h3>{t('manage.lang.title')}</h3>
        <label className="field-inline">
          {t('manage.lang.label')}
          <select value={lang} onChange={(e) => setLang(e.target.value === 'en' ? 'en' : 'zh')} data-testid="lang-select">
            <option value="zh">{t('manage.lang.zh')}</option>
            <option value="en">{t('manage.lang.en')}</option>
          </select>
        </label>
        <p className="hint">{t('manage.lang.hint')}</p>
      </div>
    </>
  );
}
