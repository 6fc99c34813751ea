/**
 * The operator's token lives in this tab's sessionStorage: it survives a reload (a console that
 * forgets its token on F5 gets a token pasted into more places), and it goes when the tab closes,
 * is not shared with other tabs and is never sent by the browser on its own (unlike a cookie, so
 * no request can be forged with it from another site). A script injected into the page could
 * read it; the console's Content-Security-Policy allows scripts from the service only.
 */
const key = 'fulfillment-console.token';

export const tokenStore = {
  read: (): string | null => sessionStorage.getItem(key),
  write: (token: string) => sessionStorage.setItem(key, token),
  clear: () => sessionStorage.removeItem(key),
};
