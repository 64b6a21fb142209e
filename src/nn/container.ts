import { Module } from './module';

/** nn.Sequential(...modules): children named "0", "1", ...; calls them in order. */
export class Sequential extends Module {
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      (this as unknown as Record<string, Module>)[String(i)] = m;
    });
  }

  override get length(): number {
    return this.children().length;
  }

  at(index: number): Module {
    const children = this.children();
    const m = children[index < 0 ? children.length + index : index];
    if (!m) throw new Error(`Sequential: index ${index} out of range (${children.length} modules)`);
    return m;
  }

  override forward(x: unknown): unknown {
    let out = x;
    for (const m of this.children()) out = m(out);
    return out;
  }
}

/** nn.ModuleList: children named "0", "1", ...; not callable as a whole. */
export class ModuleList extends Module {
  constructor(modules: Module[] = []) {
    super();
    modules.forEach((m) => this.append(m));
  }

  append(m: Module): this {
    (this as unknown as Record<string, Module>)[String(this.children().length)] = m;
    return this;
  }

  override get length(): number {
    return this.children().length;
  }

  at(index: number): Module {
    return this.children()[index < 0 ? this.length + index : index]!;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }
}
