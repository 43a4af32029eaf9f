/** Placeholder replaced by the screen's implementation in this same change. */
export function Reconciliation(): React.JSX.Element {
  return <section data-testid="screen-Reconciliation" />;
}
