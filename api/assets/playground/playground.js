// The Director's playground: GraphiQL against this server, with the two headers every Director
// call carries already in its headers editor. The page never holds a token: the caller pastes
// their own, and it is kept only for the tab's lifetime.
(function () {
  'use strict';
  var root = document.getElementById('graphiql');
  var tenant = root.dataset.tenant || '<external id of the tenant>';
  var headers = JSON.stringify(
    { Authorization: 'Bearer <paste your token>', Tenant: tenant },
    null,
    2
  );
  var query = [
    '# The Director of Compass. Paste your token into the Authorization header below',
    '# (compass up writes it to .compass/admin-token), then run this query.',
    '{',
    '  applications(first: 10) {',
    '    data { id name labels }',
    '    totalCount',
    '  }',
    '}',
    '',
  ].join('\n');
  var fetcher = GraphiQL.createFetcher({ url: root.dataset.endpoint });
  var playground = React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: query,
    defaultHeaders: headers,
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: 'headers',
  });
  ReactDOM.createRoot(root).render(playground);
})();
