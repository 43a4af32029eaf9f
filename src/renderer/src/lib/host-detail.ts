/**
 * The host's technical details (health, device states, test results) are English by design: they are
 * for the log and the installer. A Chinese screen never shows them as they are (issue 9.15): the
 * phrases the host is known to use are said in Chinese, anything else is reduced to what needs no
 * language (addresses, ports, device paths, protocol names, numbers), and dropped when nothing is left.
 * Switching the screen to English shows the full detail.
 */
import { useCallback } from 'react';
import { useLang, type Lang } from '../i18n';

/** Known host phrases (one part of a " · " list) and their Chinese. `$1`, `$2`… are the captured parts. */
const KNOWN_ZH: [RegExp, string][] = [
  // The connection test: "<bank URL | training gateway> answered <respCode> <respMsg>" (the bank's message is Chinese or dropped).
  [/^bank (\S+) answered (\S+)(?: (.*))?$/, '银行 $1 应答 $2 $3'],
  [/^training gateway answered (\S+)(?: (.*))?$/, '培训网关应答 $1 $2'],
  [/^training Yima answered (\S+)(?: (.*))?$/, '培训翼码应答 $1 $2'],
  [/^Yima (\S+) answered (\S+)(?: (.*))?$/, '翼码 $1 应答 $2 $3'],
  [/^bank (\S+): (\w+): (.*)$/, '银行 $1：$2 $3'],
  [/^training gateway: (\w+): (.*)$/, '培训网关：$1 $2'],
  [/^training gateway (\S+) reachable$/, '培训网关 $1 可连接'],
  [/^(\S+) reachable$/, '$1 可连接'],
  [/^listening on (\S+)$/, '正在监听 $1'],
  [/^opening (.+)$/, '正在打开 $1'],
  [/^open$/, '已打开'],
  [/^connect timeout$/, '连接超时'],
  [/^no merchant configured$/, '未配置商户'],
  [/^no Yima merchant configured$/, '未配置翼码商户'],
  [/^no headquarters configured$/, '未配置总部'],
  [/^no pole display configured$/, '未配置客显屏'],
  [/^no card terminal configured$/, '未配置刷卡终端'],
  [/^no receipt printer configured$/, '未配置小票打印机'],
  [/^not checked yet$/, '尚未检查'],
  [/^reachable; no status answer$/, '可连接（打印机未回报状态）'],
  [/^signed answers required$/, '要求应答签名'],
  [/^unsigned answers accepted$/, '接受未签名的应答'],
  [/^live payments refused \(use https or require signed answers\)$/, '拒绝正式收款（请改用 https 或要求应答签名）'],
  [/^HTTP (\d{3})$/, 'HTTP $1'],
  [/^ECONNREFUSED\b.*$/, '连接被拒绝'],
  [/^connect ECONNREFUSED (\S+)$/, '连接被拒绝：$1'],
  [/^getaddrinfo ENOTFOUND (\S+)$/, '找不到主机：$1'],
  // The system (spooler) printer of the desktop app (printer names are not repeated: they can be any words).
  [/^system printer ".*" is not installed$/, '系统打印机未安装：请在 设置 → 设备 中重新选择打印机'],
  [/^no system printer is installed$/, '本机没有安装任何打印机'],
  [/^(?:system printer ".*"|the default system printer) did not take the job within (\d+) s$/, '系统打印机 $1 秒内未接收打印任务'],
  [/^(?:system printer ".*"|the default system printer): .*$/, '系统打印机打印失败（缺纸、离线或驱动报错）'],
  [/^system printer: the browser print dialog is used$/, '系统打印机：使用浏览器的打印对话框'],
  [/^sent to the system printer$/, '已发送到系统打印机'],
  [/^system printer .*$/, '系统打印机'],
];

/** Tokens that read the same in any language. */
const NEUTRAL = /(?:[a-z]+:\/\/[^\s,;]+|\b[\w.-]+:\d{1,5}\b|\/dev\/[\w./-]+|\bCOM\d+\b|\b\d+(?:\.\d+)?\s?ms\b|\b(?:https?|HTTP)\b)/g;

function partZh(part: string): string {
  const text = part.trim();
  for (const [pattern, zh] of KNOWN_ZH) {
    const m = pattern.exec(text);
    if (m !== null)
      return zh
        .replace(/\$(\d)/g, (_, n: string) => neutralOrChinese(m[Number(n)] ?? ''))
        .replace(/\s+/g, ' ')
        .trim();
  }
  return neutralOrChinese(text);
}

/** A text with no English words (two or more letters in a row outside addresses) as it is, else only its addresses. */
function neutralOrChinese(text: string): string {
  if (!/[A-Za-z]{2,}/.test(text.replace(NEUTRAL, ''))) return text;
  return [...text.matchAll(NEUTRAL)].map((m) => m[0]).join(' ');
}

/** The host's detail as the screen's language may show it ('' when nothing of it can be shown in zh). */
export function hostDetail(lang: Lang, detail: string): string {
  if (lang === 'en') return detail;
  return detail
    .split(' · ')
    .map(partZh)
    .filter((p) => p !== '')
    .join(' · ');
}

/** Hook: hostDetail in the screen's current language. */
export function useHostDetail(): (detail: string) => string {
  const lang = useLang((s) => s.lang);
  return useCallback((detail: string) => hostDetail(lang, detail), [lang]);
}
