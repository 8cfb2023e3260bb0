// An <a> that navigates in-app on a plain click and behaves as a normal link otherwise (new tab, copy address).
import type { AnchorHTMLAttributes, MouseEvent } from 'react';
import { navigate } from '../navigation.js';

/** A link to a console route. */
export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const click = (e: MouseEvent<HTMLAnchorElement>): void => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={click} {...rest} />;
}
