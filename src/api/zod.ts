import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

/**
 * zod with `.openapi()` (zod-to-openapi): the request schemas of the API import `z` from here, so the schema that
 * validates a request is the one openapi.ts documents.
 */
extendZodWithOpenApi(z);

export { z };
