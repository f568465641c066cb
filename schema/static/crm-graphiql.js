// Starts GraphiQL (schema/static/graphiql/, served by this server) with the page's settings
// from schema/graphiql.py; with ?demo=<login>, signs in first and pre-fills the headers pane
// (docs/architecture.md#graphiql).
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("crm-graphiql-config").textContent);
  var status = document.getElementById("crm-status");
  var endpoint = config.endpoint;
  var wsUrl = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + endpoint;
  var LOGIN = "mutation DemoLogin($email: String!, $password: String!) {\n" +
    "  login(email: $email, password: $password) {\n" +
    "    accessToken expiresAt userErrors { message code }\n  }\n}";

  // Subscriptions authenticate in connection_init, not by HTTP header: one WebSocket
  // client per Authorization value of the headers pane, created when first needed.
  var fetchers = {};
  function fetcher(params, options) {
    var headers = (options && options.headers) || {};
    var auth = headers.Authorization || headers.authorization || "";
    if (!fetchers[auth]) {
      fetchers[auth] = GraphiQL.createFetcher({
        url: endpoint,
        subscriptionUrl: wsUrl,
        wsConnectionParams: auth ? { authorization: auth } : {},
      });
    }
    return fetchers[auth](params, options);
  }

  function show(text, failed) {
    status.textContent = text;
    status.className = failed ? "failed" : "";
  }

  function render(props) {
    var root = ReactDOM.createRoot(document.getElementById("graphiql"));
    root.render(React.createElement(GraphiQL, Object.assign({
      fetcher: fetcher,
      defaultQuery: config.defaultQuery,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    }, props)));
  }

  function signIn(login) {
    return fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query: LOGIN, variables: login }),
    }).then(function (response) {
      return response.json();
    }).then(function (body) {
      var payload = body.data && body.data.login;
      if (payload && payload.accessToken) return payload;
      var errors = (payload && payload.userErrors) || body.errors || [];
      throw new Error(errors.map(function (e) { return e.message; }).join("; ") ||
                      "no token");
    });
  }

  function signedIn(payload) {
    var until = new Date(payload.expiresAt);
    var minutes = Math.round((until - Date.now()) / 60000);
    show("Signed in as " + config.demoLogin.email + ": the " +
         "Authorization header below is valid until " + until.toLocaleTimeString() +
         " (" + minutes + " min); reload this page to sign in again.");
    var left = until - Date.now();
    if (left < 2147483647) {  // setTimeout's longest delay (~24.8 days)
      setTimeout(function () {
        show("The token in the headers pane expired at " + until.toLocaleTimeString() +
             ": reload this page to sign in again.", true);
      }, Math.max(0, left));
    }
    render({
      query: config.defaultQuery,
      headers: JSON.stringify({ Authorization: "Bearer " + payload.accessToken }, null, 2),
      defaultEditorToolsVisibility: "headers",
    });
  }

  if (config.notice) show(config.notice, true);
  if (!config.demoLogin) {
    render({});
    return;
  }
  show("Signing in as " + config.demoLogin.email + "...");
  signIn(config.demoLogin).then(signedIn, function (error) {
    show("Could not sign in as " + config.demoLogin.email + " (is the demo data loaded? " +
         "make run loads it): " + error.message, true);
    render({});
  });
})();
