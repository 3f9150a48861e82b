/** A commander parser for a positive number option, naming the option when the value is not one. */
export const positiveNumber = (name: string) => (value: string): number => {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new Error(`--${name} must be a positive number (got ${value})`);
  return number;
};
