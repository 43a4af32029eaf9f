/** Placeholder replaced by the screen's implementation in this same change. */
export function RefundDesk(): React.JSX.Element {
  return <section data-testid="screen-RefundDesk" />;
}
