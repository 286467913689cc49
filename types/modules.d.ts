// Minimal typings for the untyped iden3 packages this project uses.
declare module "snarkjs";
declare module "r1csfile";
declare module "ffjavascript";
declare module "circomlibjs";
