/**
 * 语音播报 — "收款成功，12.34 元" through the platform's speech synthesis with a Chinese voice (Windows
 * ships one: Microsoft Huihui / Xiaoxiao), a chime where there is none, and a short low tone when a
 * sale fails. On/off and volume are settings (门店 section); nothing is ever spoken twice for one sale.
 */
import { useEffect, useRef } from 'react';
import type { PaymentView } from '../../../shared/domain';
import { useAppStore } from '../store/app-store';
import { formatFen } from './format';

/** The words spoken when a sale is paid. */
export function paidUtterance(amountFen: number): string {
  return `收款成功，${formatFen(amountFen)} 元`;
}

function chineseVoice(synth: SpeechSynthesis): SpeechSynthesisVoice | null {
  const voices = synth.getVoices();
  return voices.find((v) => /^zh[-_]CN/i.test(v.lang)) ?? voices.find((v) => /^zh/i.test(v.lang)) ?? null;
}

let audio: AudioContext | null = null;

/** A WebAudio tone sequence (the fallback "clip"): rising for success, one low beep for failure. */
export function playTones(freqs: readonly number[], volume: number, each = 0.16): boolean {
  const Ctx = globalThis.AudioContext as typeof AudioContext | undefined;
  if (Ctx === undefined) return false;
  try {
    audio ??= new Ctx();
    const start = audio.currentTime;
    freqs.forEach((f, i) => {
      const ctx = audio as AudioContext;
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = f;
      gain.gain.value = Math.max(0, Math.min(1, volume)) * 0.3;
      osc.connect(gain).connect(ctx.destination);
      osc.start(start + i * each);
      osc.stop(start + (i + 1) * each);
    });
    return true;
  } catch {
    return false;
  }
}

/** Speaks the paid prompt; with no Chinese voice, plays the success chime. Returns what it did. */
export function announcePaid(amountFen: number, volume: number): 'speech' | 'chime' | 'none' {
  const synth = globalThis.speechSynthesis as SpeechSynthesis | undefined;
  const Utterance = globalThis.SpeechSynthesisUtterance as typeof SpeechSynthesisUtterance | undefined;
  const voice = synth === undefined ? null : chineseVoice(synth);
  if (synth !== undefined && Utterance !== undefined && voice !== null) {
    const u = new Utterance(paidUtterance(amountFen));
    u.lang = 'zh-CN';
    u.voice = voice;
    u.volume = Math.max(0, Math.min(1, volume));
    synth.cancel();
    synth.speak(u);
    return 'speech';
  }
  return playTones([660, 880, 1320], volume) ? 'chime' : 'none';
}

/** The failure tone. */
export function announceFailed(volume: number): boolean {
  return playTones([220], volume, 0.35);
}

/**
 * Announces a sale that became paid (or failed) while this window watched it. A sale already final
 * when it was first seen (a reload, a restart) is not announced again.
 */
export function useVoicePrompt(payment: PaymentView | null): void {
  const prefs = useAppStore((s) => s.info?.counter);
  const seenOpen = useRef(new Set<number>());
  const announced = useRef(new Set<number>());
  useEffect(() => {
    if (payment === null) return;
    const final = payment.status === 'paid' || payment.status === 'failed' || payment.status === 'closed';
    if (!final) {
      seenOpen.current.add(payment.id);
      return;
    }
    if (!seenOpen.current.has(payment.id) || announced.current.has(payment.id)) return;
    announced.current.add(payment.id);
    if (prefs === undefined || !prefs.voice) return;
    const volume = prefs.voiceVolume / 100;
    if (payment.status === 'paid') announcePaid(payment.amountFen, volume);
    else if (payment.status === 'failed') announceFailed(volume);
  }, [payment, prefs]);
}
