// Ids of the streams this endpoint opens (RFC 9000 section 2.1): client bidi 0, 4, ...; server bidi 1, 5, ...;
// client uni 2, 6, ...; server uni 3, 7, .... The first bidi (client, the CONNECT) and the first uni of each side
// (the control stream) are taken by HTTP/3 itself.

export class LocalStreamIds {
  #bidi: number;
  #uni: number;
  readonly controlStream: number;

  constructor(role: 'server' | 'client') {
    this.#bidi = role === 'server' ? 1 : 4;
    this.#uni = role === 'server' ? 7 : 6;
    this.controlStream = role === 'server' ? 3 : 2;
  }

  next(bidi: boolean): number {
    const id = bidi ? this.#bidi : this.#uni;
    if (bidi) this.#bidi += 4;
    else this.#uni += 4;
    return id;
  }
}
