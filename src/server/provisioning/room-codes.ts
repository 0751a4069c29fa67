/** Room codes as iR Engine makes them: 6 characters, digits 1-9 (never 0, so no leading-zero loss). */
import { randomInt } from 'node:crypto';

export function newRoomCode(): string {
  let code = '';
  for (let i = 0; i < 6; i++) code += String(randomInt(1, 10));
  return code;
}
