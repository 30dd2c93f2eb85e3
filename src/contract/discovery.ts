// A loss as clients discover it (GET /v1/losses): everything comes from its descriptor.

import { z } from 'zod';
import type { AnyLossDescriptor } from '../registry/types.js';

export const lossInfoSchema = z.object({
  name: z.string().describe('Canonical name (torch.nn.functional name, or the reference’s).'),
  aliases: z.array(z.string()),
  summary: z.string(),
  formula: z.string().describe('Per-element formula, plain text.'),
  latex: z.string().describe('The same formula in LaTeX.'),
  reference: z.string().describe('Where the semantics come from: library function or paper.'),
  endpoint: z.string().describe('Where to POST a request for this loss.'),
  args: z.array(
    z.object({
      name: z.string(),
      kind: z
        .enum(['float', 'int', 'float-or-int'])
        .describe('float, integer (indices, lengths), or decided by shape.'),
      required: z.boolean(),
      differentiable: z.boolean().describe('PyTorch can differentiate it in at least one use.'),
      differentiable_when: z.string().optional().describe('When differentiability depends on the request.'),
      description: z.string(),
    }),
  ),
  options: z.record(z.string(), z.unknown()).describe('Each option as JSON Schema, with its default.'),
  default_grad_wrt: z.array(z.string()).describe('What grad_wrt means when the key is absent.'),
  example: z
    .record(z.string(), z.unknown())
    .describe('A request body for the endpoint that answers 200: tensors as nested arrays.'),
});

export type LossInfo = z.infer<typeof lossInfoSchema>;

export function describeLoss(loss: AnyLossDescriptor): LossInfo {
  const optionSchema = z.toJSONSchema(loss.options, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, unknown>;
  };
  return {
    name: loss.name,
    aliases: [...loss.aliases],
    summary: loss.summary,
    formula: loss.formula,
    latex: loss.latex,
    reference: loss.reference,
    endpoint: `/v1/losses/${loss.name}`,
    args: loss.args.map((a) => ({
      name: a.name,
      kind: a.kind,
      required: a.required,
      differentiable: a.differentiable,
      ...(a.differentiableWhen === undefined ? {} : { differentiable_when: a.differentiableWhen }),
      description: a.description,
    })),
    options: optionSchema.properties ?? {},
    default_grad_wrt: loss.args.filter((a) => a.gradByDefault).map((a) => a.name),
    example: loss.example,
  };
}
