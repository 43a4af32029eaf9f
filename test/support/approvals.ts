import { withApprovalNonces } from '../../src/shared/ipc/approvals';

type Invoke = (channel: string, input: unknown) => Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }>;

/**
 * What the renderer's `call()` does before an approved action: fetch one single-use nonce per approval
 * in the input (for tests that talk to the core or the WebSocket bridge directly).
 */
export async function withNonces(channel: string, input: unknown, invoke: Invoke): Promise<unknown> {
  return withApprovalNonces(channel, input, async (action, subject) => {
    const result = await invoke('approval:nonce', { action, input: subject });
    if (!result.ok) throw Object.assign(new Error(`approval:nonce for ${action}: ${result.error?.code} ${result.error?.message}`), result.error);
    return (result.value as { nonce: string }).nonce;
  });
}
