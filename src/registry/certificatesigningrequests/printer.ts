// The certificatesigningrequests table, as upstream's printCertificateSigningRequest.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, type Any } from '../../api/printers/columns.js';
import { humanDuration } from '../../api/printers/duration.js';
import { csrCondition } from '../../api/csr.js';

export const csrPrinter: Printer = {
  columns: [
    NAME,
    AGE,
    col('SignerName', 'string', 0, 'Only one signer may be named. It determines how the request is handled and who signs it.'),
    col('Requestor', 'string', 0, 'Name of the user who created the CertificateSigningRequest.'),
    col('RequestedDuration', 'string', 0, 'Requested maximum validity duration of the issued certificate.'),
    col('Condition', 'string', 0, 'The aggregate approval and issuance state of the request.'),
  ],
  cells: (o, now) => {
    const spec = (o as Any).spec ?? {};
    const seconds = spec.expirationSeconds;
    return [
      name(o),
      created(o, now),
      spec.signerName || '<none>',
      spec.username ?? '',
      typeof seconds === 'number' ? humanDuration(seconds * 1000) : '<none>',
      csrCondition((o as Any).status),
    ];
  },
};
