// The filter's configuration: a JSON object with a string "value" (required) and "name"
// (the header, default "newheader"). Other members must be strings too; anything else is an
// error the proxy sees as a rejected configuration.
export class AddHeaderConfig {
  name: string = "newheader";
  value: string = "";
  error: string = "";
}

class Reader {
  pos: i32 = 0;
  constructor(public text: string) {}

  skipSpace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.pos++;
    }
  }

  peek(): i32 {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1;
  }

  // A JSON string at pos; null when it is not one.
  readString(): string | null {
    if (this.peek() != 0x22) return null;
    this.pos++;
    let out = "";
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos++);
      if (c == 0x22) return out;
      if (c < 0x20) return null;
      if (c != 0x5c) {
        out += String.fromCharCode(c);
        continue;
      }
      if (this.pos >= this.text.length) return null;
      const e = this.text.charCodeAt(this.pos++);
      if (e == 0x22 || e == 0x5c || e == 0x2f) out += String.fromCharCode(e);
      else if (e == 0x62) out += "\b";
      else if (e == 0x66) out += "\f";
      else if (e == 0x6e) out += "\n";
      else if (e == 0x72) out += "\r";
      else if (e == 0x74) out += "\t";
      else if (e == 0x75) {
        if (this.pos + 4 > this.text.length) return null;
        const code = I32.parseInt(this.text.substring(this.pos, this.pos + 4), 16);
        if (isNaN<f64>(<f64>code)) return null;
        out += String.fromCharCode(code);
        this.pos += 4;
      } else return null;
    }
    return null;
  }
}

function failed(message: string): AddHeaderConfig {
  const config = new AddHeaderConfig();
  config.error = message;
  return config;
}

export function parseConfig(text: string): AddHeaderConfig {
  const config = new AddHeaderConfig();
  const r = new Reader(text);
  r.skipSpace();
  if (r.peek() != 0x7b) return failed("expected a JSON object");
  r.pos++;
  r.skipSpace();
  let first = true;
  let haveValue = false;
  while (r.peek() != 0x7d) {
    if (!first) {
      if (r.peek() != 0x2c) return failed("expected , or } at offset " + r.pos.toString());
      r.pos++;
      r.skipSpace();
    }
    first = false;
    const key = r.readString();
    if (key == null) return failed("expected a member name at offset " + r.pos.toString());
    r.skipSpace();
    if (r.peek() != 0x3a) return failed("expected : after \"" + key! + "\"");
    r.pos++;
    r.skipSpace();
    const value = r.readString();
    if (value == null) return failed("\"" + key! + "\" must be a string");
    if (key == "value") {
      config.value = value!;
      haveValue = true;
    } else if (key == "name") {
      if (value!.length == 0) return failed("\"name\" must not be empty");
      config.name = value!;
    }
    r.skipSpace();
    if (r.peek() == -1) return failed("unexpected end of the configuration");
  }
  r.pos++;
  r.skipSpace();
  if (r.peek() != -1) return failed("unexpected text after the object");
  if (!haveValue) return failed("\"value\" is required");
  return config;
}
