// Bundled by `make assets` (esbuild) into web/static/vendor/regie-modeler/modeler.js: the bpmn-js Modeler
// with bpmn-js-properties-panel and the Camunda 7 properties provider, from the npm registry.
import BpmnModeler from "bpmn-js/lib/Modeler";
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule,
} from "bpmn-js-properties-panel";
import camundaModdle from "camunda-bpmn-moddle/resources/camunda.json";

window.RegieModeler = {
  create(options) {
    return new BpmnModeler({
      ...options,
      additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule],
      moddleExtensions: { camunda: camundaModdle },
    });
  },
};
