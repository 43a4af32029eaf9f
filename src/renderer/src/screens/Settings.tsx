/** Placeholder replaced by the screen's implementation in this same change. */
export function Settings(): React.JSX.Element {
  return <section data-testid="screen-Settings" />;
}
