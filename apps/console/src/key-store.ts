/**
 * The API key lives in sessionStorage only (console contract, "API keys"): it ends with the tab
 * and is never sent anywhere but the Authorization header of same-origin requests.
 */

const STORAGE_KEY = 'tokenmeter.apiKey';

export function storedKey(): string | undefined {
  return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
}

export function storeKey(key: string): void {
  sessionStorage.setItem(STORAGE_KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
