/** Starting payments between simulated LDK nodes (BOLT 11 invoices and keysend). */
import { randomBytes } from "node:crypto";
import * as ldk from "lightningdevkit";
import { ok, type SimNode } from "./network.js";

/** A BOLT 11 invoice of `payee` for `amountMsat` (expires in an hour). */
export function createInvoice(
  payee: SimNode,
  amountMsat: bigint,
  description = "sim",
): ldk.Bolt11Invoice {
  return ok<ldk.Bolt11Invoice>(
    payee.cm.create_bolt11_invoice(
      ldk.Option_u64Z.constructor_some(amountMsat),
      ldk.Bolt11InvoiceDescription.constructor_direct(
        ok<ldk.Description>(ldk.Description.constructor_new(description), "Description"),
      ),
      ldk.Option_u32Z.constructor_some(3600),
      ldk.Option_u16Z.constructor_none(),
      ldk.Option_ThirtyTwoBytesZ.constructor_none(),
    ),
    "create_bolt11_invoice",
  );
}

/** Starts paying `inv` from `payer` (no retries; the caller pumps). */
export function payInvoice(payer: SimNode, inv: ldk.Bolt11Invoice): void {
  const pp = ok<ldk.ThreeTuple_ThirtyTwoBytesRecipientOnionFieldsRouteParametersZ>(
    ldk.UtilMethods.constructor_payment_parameters_from_invoice(inv),
    "payment_parameters_from_invoice",
  );
  ok(
    payer.cm.send_payment(
      pp.get_a(),
      pp.get_b(),
      new Uint8Array(randomBytes(32)),
      pp.get_c(),
      ldk.Retry.constructor_attempts(0),
    ),
    "send_payment",
  );
}

/** Starts a keysend of `amountMsat` (the caller pumps); returns its preimage. */
export function sendKeysend(payer: SimNode, payee: SimNode, amountMsat: bigint): Uint8Array {
  const preimage = new Uint8Array(randomBytes(32));
  ok(
    payer.cm.send_spontaneous_payment(
      ldk.Option_ThirtyTwoBytesZ.constructor_some(preimage),
      ldk.RecipientOnionFields.constructor_spontaneous_empty(),
      new Uint8Array(randomBytes(32)),
      ldk.RouteParameters.constructor_from_payment_params_and_value(
        ldk.PaymentParameters.constructor_for_keysend(payee.nodeId, 40, false),
        amountMsat,
      ),
      ldk.Retry.constructor_attempts(0),
    ),
    "send_spontaneous_payment",
  );
  return preimage;
}
