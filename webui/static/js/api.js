// The HTTP API client: JSON in and out, errors as ApiError with the server's sentence.
// The sign-in cookie rides along on every same-origin request; a 401 means it no longer counts
// (Hearth restarted): the page says so once.
import { SIGNED_OUT, signedOut } from "./toasts.js";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function request(method, path, body, options = {}) {
  const init = { method, headers: {}, credentials: "same-origin", ...options };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, "offline", "Hearth's server cannot be reached. Is it still running?");
  }
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json().catch(() => null) : await response.text();
  if (!response.ok) {
    const error = data && data.error ? data.error : {};
    if (response.status === 401) {
      signedOut();
      throw new ApiError(401, error.code || "unauthorized", SIGNED_OUT);
    }
    throw new ApiError(response.status, error.code || "error",
      error.message || `The request failed (${response.status}).`);
  }
  return data;
}

const enc = encodeURIComponent;

export const api = {
  health: () => request("GET", "/api/health"),
  listSessions: ({ q = "", limit = 50, offset = 0 } = {}) =>
    request("GET", `/api/sessions?limit=${limit}&offset=${offset}${q ? `&q=${enc(q)}` : ""}`),
  createSession: (body = {}) => request("POST", "/api/sessions", body),
  getSession: (id) => request("GET", `/api/sessions/${enc(id)}`),
  updateSession: (id, body) => request("PATCH", `/api/sessions/${enc(id)}`, body),
  deleteSession: (id, options) => request("DELETE", `/api/sessions/${enc(id)}`, undefined, options),
  importSession: (data) => request("POST", "/api/sessions/import", data),
  startRun: (sessionId, body) => request("POST", `/api/sessions/${enc(sessionId)}/runs`, body),
  showPath: (sessionId, messageId) =>
    request("POST", `/api/sessions/${enc(sessionId)}/path`, { message_id: messageId }),
  forkSession: (sessionId, messageId) =>
    request("POST", `/api/sessions/${enc(sessionId)}/fork`, { message_id: messageId }),
  getRun: (id) => request("GET", `/api/runs/${enc(id)}`),
  cancelRun: (id) => request("POST", `/api/runs/${enc(id)}/cancel`, {}),
  pendingApprovals: (sessionId) =>
    request("GET", `/api/approvals${sessionId ? `?session_id=${enc(sessionId)}` : ""}`),
  decide: (approvalId, decision, pathPrefix) =>
    request("POST", `/api/approvals/${enc(approvalId)}`, pathPrefix ? { decision, path_prefix: pathPrefix } : { decision }),
  getSettings: () => request("GET", "/api/settings"),
  updateSettings: (body) => request("PATCH", "/api/settings", body),
  providers: () => request("GET", "/api/providers"),
  addProvider: (body) => request("POST", "/api/providers", body),
  updateProvider: (id, body) => request("PATCH", `/api/providers/${enc(id)}`, body),
  removeProvider: (id) => request("DELETE", `/api/providers/${enc(id)}`),
  models: (id, { refresh = false } = {}) =>
    request("GET", `/api/providers/${enc(id)}/models${refresh ? "?refresh=1" : ""}`),
  testProvider: (id) => request("POST", `/api/providers/${enc(id)}/test`, {}),
  localServers: () => request("GET", "/api/local-servers"),
};
