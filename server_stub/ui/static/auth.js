// The API key of this browser tab: sessionStorage only (never localStorage or a cookie),
// so it survives reloads and page changes in the tab and is gone when the tab closes.
const KEY = "observatory.apiKey";

export function getKey() {
  return sessionStorage.getItem(KEY);
}

export function setKey(key) {
  sessionStorage.setItem(KEY, key);
}

export function clearKey() {
  sessionStorage.removeItem(KEY);
}
