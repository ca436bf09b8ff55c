// {{NAME}}: adds a response header whose value comes from the filter's configuration,
// e.g. {"value": "hello"} adds "newheader: hello" to every response, and
// {"name": "x-greeting", "value": "hello"} picks the header name too.
export * from "@solo-io/proxy-runtime/proxy"; // the proxy_on_* functions the proxy calls
import {
  RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context, log, LogLevelValues,
} from "@solo-io/proxy-runtime";
import { AddHeaderConfig, parseConfig } from "./config";

class AddHeaderRoot extends RootContext {
  config: AddHeaderConfig = new AddHeaderConfig();

  onConfigure(configuration_size: u32): bool {
    if (!super.onConfigure(configuration_size)) return false;
    const parsed = parseConfig(this.getConfiguration());
    if (parsed.error != "") {
      log(LogLevelValues.error, "add-header: bad configuration: " + parsed.error);
      return false; // the proxy rejects the configuration
    }
    this.config = parsed;
    log(LogLevelValues.debug, "add-header: will add " + parsed.name + ": " + parsed.value);
    return true;
  }

  onStart(vm_configuration_size: usize): bool {
    log(LogLevelValues.info, "add-header filter started, root id {{ROOT_ID}}");
    return super.onStart(vm_configuration_size);
  }

  createContext(context_id: u32): Context {
    return new AddHeader(context_id, this);
  }
}

class AddHeader extends Context {
  root: AddHeaderRoot;

  constructor(context_id: u32, root_context: AddHeaderRoot) {
    super(context_id, root_context);
    this.root = root_context;
  }

  onResponseHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    if (this.root.config.value != "") {
      stream_context.headers.response.add(this.root.config.name, this.root.config.value);
    }
    return FilterHeadersStatusValues.Continue;
  }
}

// The root id Envoy/Istio configure this plugin with (also in runtime-config.json).
registerRootContext((context_id: u32): RootContext => new AddHeaderRoot(context_id), "{{ROOT_ID}}");
