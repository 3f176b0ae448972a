// The query editor: YASGUI (vendored from npm @zazuko/yasgui) on this server's SPARQL endpoint,
// with the ontology's prefixes and the queries/ catalogue as examples. Configuration comes from
// a JSON block in the page (data, not script), so the page needs no inline script.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("yasgui-config").textContent);
  var examples = {};
  config.examples.forEach(function (example) { examples[example.name] = example; });

  // Autocompleters that call third-party services (LOV) are off: no request leaves this server.
  Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];

  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: config.endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: {
      getData: function () { return [{ endpoint: config.endpoint }]; },
    },
    persistenceId: "mlkg-query-editor",
    yasqe: { value: config.defaultQuery },
  });
  window.mlkgYasgui = yasgui;

  var select = document.getElementById("examples");
  var purpose = document.getElementById("example-purpose");

  function open(name) {
    var example = examples[name];
    if (!example) return;
    purpose.textContent = example.purpose;
    var tab = yasgui.addTab(true, {
      name: example.title,
      yasqe: { value: example.query },
      requestConfig: { endpoint: config.endpoint },
    });
    yasgui.selectTabId(tab.getId());
  }

  select.addEventListener("change", function () {
    if (select.value) open(select.value);
  });
  if (window.location.hash.length > 1) {
    var name = decodeURIComponent(window.location.hash.slice(1));
    if (examples[name]) {
      select.value = name;
      open(name);
    }
  }
})();
