/** One line of `nightshift doctor`. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}
