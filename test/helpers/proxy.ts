/** A TCP proxy on 127.0.0.1 that can be cut and restored: "the RPC endpoint goes away and comes back". */
import * as net from "node:net";

export class TcpProxy {
  private server?: net.Server;
  private sockets = new Set<net.Socket>();
  constructor(
    readonly port: number,
    readonly targetPort: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  start(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, "127.0.0.1");
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    return new Promise((res, rej) => {
      this.server!.once("error", rej);
      this.server!.listen(this.port, "127.0.0.1", () => res());
    });
  }

  /** Refuses new connections and drops open ones. */
  stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    return new Promise((res) => (this.server ? this.server.close(() => res()) : res()));
  }
}
