import { test } from "node:test";
import assert from "node:assert/strict";
import { parseRunQuery, runQueryString } from "../../../server_stub/ui/static/query.js";

test("the query string round-trips in the API's names", () => {
  const search = "?status=error&model=gpt-4&min_latency_s=8&tags=high-risk";
  const values = parseRunQuery(search);
  assert.deepEqual(values, { status: "error", model: "gpt-4", min_latency_s: "8", tags: "high-risk" });
  assert.equal(runQueryString(values), search);
});

test("repeated tags join, empties and unknown names drop", () => {
  assert.deepEqual(parseRunQuery("?tags=a&tags=b&model=&bogus=1"), { tags: "a,b" });
  assert.equal(runQueryString({ model: "  ", status: "" }), "");
});
