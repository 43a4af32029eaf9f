/** Placeholder replaced by the screen's implementation in this same change. */
export function Transactions(): React.JSX.Element {
  return <section data-testid="screen-Transactions" />;
}
