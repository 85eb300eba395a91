/** Where agents open their tunnel on each API server (a WebSocket upgrade). */
export const TUNNEL_PATH = '/v1-berth/connect';
