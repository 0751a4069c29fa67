/**
 * Every string `<ir-media-channel>` shows or announces, per locale. A page overrides some with the
 * `strings` property; the rest come from the table of the element's `lang` (else English).
 */
import type { ConnectionState } from '../../core/instance-spec.js';

export type DeviceErrorKind = 'audioinput' | 'videoinput' | 'display';
export type DeviceSelectKind = 'audioinput' | 'videoinput' | 'audiooutput';

export interface MediaChannelStrings {
  /** Label of the tile grid. */
  participants: string;
  /** Label of the control bar. */
  controls: string;
  microphone: string;
  /** Tooltips saying what the microphone button's state is. */
  microphoneOn: string;
  microphoneOff: string;
  camera: string;
  cameraOn: string;
  cameraOff: string;
  shareScreen: string;
  stopSharing: string;
  devices: string;
  microphoneSelect: string;
  cameraSelect: string;
  speakerSelect: string;
  leave: string;
  join: string;
  /** The name on one's own tile. */
  you: string;
  muted: string;
  speaking: string;
  enableAudio: string;
  audioBlocked: string;
  /** Label of a screen-share tile. */
  screenOf: (name: string) => string;
  /** The notice's headline per device kind that failed. */
  deviceErrors: Record<DeviceErrorKind, string>;
  dismiss: string;
  /** Names of the connection states. */
  states: Record<ConnectionState, string>;
  /** A device's name while the browser hides labels (before permission): "Microphone 1". */
  deviceFallback: (kind: DeviceSelectKind, n: number) => string;
}

const en: MediaChannelStrings = {
  participants: 'Participants',
  controls: 'Media controls',
  microphone: 'Microphone',
  microphoneOn: 'Microphone is on',
  microphoneOff: 'Microphone is off',
  camera: 'Camera',
  cameraOn: 'Camera is on',
  cameraOff: 'Camera is off',
  shareScreen: 'Share screen',
  stopSharing: 'Stop sharing',
  devices: 'Devices',
  microphoneSelect: 'Microphone',
  cameraSelect: 'Camera',
  speakerSelect: 'Speaker',
  leave: 'Leave',
  join: 'Join',
  you: 'You',
  muted: 'Muted',
  speaking: 'Speaking',
  enableAudio: 'Enable audio',
  audioBlocked: 'The browser paused the audio until you allow it.',
  screenOf: (name) => `${name}'s screen`,
  deviceErrors: {
    audioinput: 'The microphone could not be used',
    videoinput: 'The camera could not be used',
    display: 'The screen could not be shared',
  },
  dismiss: 'Dismiss',
  states: {
    idle: 'Idle',
    provisioning: 'Finding a room',
    connecting: 'Connecting',
    connected: 'Connected',
    reconnecting: 'Reconnecting',
    disconnected: 'Disconnected',
    failed: 'Failed',
  },
  deviceFallback: (kind, n) =>
    `${{ audioinput: 'Microphone', videoinput: 'Camera', audiooutput: 'Speaker' }[kind]} ${n}`,
};

const de: MediaChannelStrings = {
  participants: 'Teilnehmende',
  controls: 'Mediensteuerung',
  microphone: 'Mikrofon',
  microphoneOn: 'Mikrofon ist an',
  microphoneOff: 'Mikrofon ist aus',
  camera: 'Kamera',
  cameraOn: 'Kamera ist an',
  cameraOff: 'Kamera ist aus',
  shareScreen: 'Bildschirm teilen',
  stopSharing: 'Teilen beenden',
  devices: 'Geräte',
  microphoneSelect: 'Mikrofon',
  cameraSelect: 'Kamera',
  speakerSelect: 'Lautsprecher',
  leave: 'Verlassen',
  join: 'Beitreten',
  you: 'Du',
  muted: 'Stummgeschaltet',
  speaking: 'Spricht',
  enableAudio: 'Ton einschalten',
  audioBlocked: 'Der Browser hat den Ton angehalten, bis du ihn erlaubst.',
  screenOf: (name) => `Bildschirm von ${name}`,
  deviceErrors: {
    audioinput: 'Das Mikrofon ist nicht verfügbar',
    videoinput: 'Die Kamera ist nicht verfügbar',
    display: 'Der Bildschirm konnte nicht geteilt werden',
  },
  dismiss: 'Schließen',
  states: {
    idle: 'Bereit',
    provisioning: 'Raum wird gesucht',
    connecting: 'Verbinde',
    connected: 'Verbunden',
    reconnecting: 'Verbinde erneut',
    disconnected: 'Getrennt',
    failed: 'Fehlgeschlagen',
  },
  deviceFallback: (kind, n) =>
    `${{ audioinput: 'Mikrofon', videoinput: 'Kamera', audiooutput: 'Lautsprecher' }[kind]} ${n}`,
};

const fr: MediaChannelStrings = {
  participants: 'Participants',
  controls: 'Commandes média',
  microphone: 'Micro',
  microphoneOn: 'Le micro est activé',
  microphoneOff: 'Le micro est coupé',
  camera: 'Caméra',
  cameraOn: 'La caméra est activée',
  cameraOff: 'La caméra est coupée',
  shareScreen: "Partager l'écran",
  stopSharing: 'Arrêter le partage',
  devices: 'Appareils',
  microphoneSelect: 'Micro',
  cameraSelect: 'Caméra',
  speakerSelect: 'Haut-parleur',
  leave: 'Quitter',
  join: 'Rejoindre',
  you: 'Vous',
  muted: 'Micro coupé',
  speaking: 'Parle',
  enableAudio: 'Activer le son',
  audioBlocked: "Le navigateur a suspendu le son jusqu'à votre accord.",
  screenOf: (name) => `Écran de ${name}`,
  deviceErrors: {
    audioinput: "Le micro n'a pas pu être utilisé",
    videoinput: "La caméra n'a pas pu être utilisée",
    display: "L'écran n'a pas pu être partagé",
  },
  dismiss: 'Fermer',
  states: {
    idle: 'Inactif',
    provisioning: "Recherche d'une salle",
    connecting: 'Connexion',
    connected: 'Connecté',
    reconnecting: 'Reconnexion',
    disconnected: 'Déconnecté',
    failed: 'Échec',
  },
  deviceFallback: (kind, n) =>
    `${{ audioinput: 'Micro', videoinput: 'Caméra', audiooutput: 'Haut-parleur' }[kind]} ${n}`,
};

const es: MediaChannelStrings = {
  participants: 'Participantes',
  controls: 'Controles multimedia',
  microphone: 'Micrófono',
  microphoneOn: 'El micrófono está activado',
  microphoneOff: 'El micrófono está desactivado',
  camera: 'Cámara',
  cameraOn: 'La cámara está activada',
  cameraOff: 'La cámara está desactivada',
  shareScreen: 'Compartir pantalla',
  stopSharing: 'Dejar de compartir',
  devices: 'Dispositivos',
  microphoneSelect: 'Micrófono',
  cameraSelect: 'Cámara',
  speakerSelect: 'Altavoz',
  leave: 'Salir',
  join: 'Unirse',
  you: 'Tú',
  muted: 'Silenciado',
  speaking: 'Hablando',
  enableAudio: 'Activar sonido',
  audioBlocked: 'El navegador pausó el sonido hasta que lo permitas.',
  screenOf: (name) => `Pantalla de ${name}`,
  deviceErrors: {
    audioinput: 'No se pudo usar el micrófono',
    videoinput: 'No se pudo usar la cámara',
    display: 'No se pudo compartir la pantalla',
  },
  dismiss: 'Cerrar',
  states: {
    idle: 'Inactivo',
    provisioning: 'Buscando sala',
    connecting: 'Conectando',
    connected: 'Conectado',
    reconnecting: 'Reconectando',
    disconnected: 'Desconectado',
    failed: 'Error',
  },
  deviceFallback: (kind, n) =>
    `${{ audioinput: 'Micrófono', videoinput: 'Cámara', audiooutput: 'Altavoz' }[kind]} ${n}`,
};

/** What a page may override: any string, and single entries of `states` and `deviceErrors`. */
export type MediaChannelStringOverrides = Partial<Omit<MediaChannelStrings, 'states' | 'deviceErrors'>> & {
  states?: Partial<MediaChannelStrings['states']>;
  deviceErrors?: Partial<MediaChannelStrings['deviceErrors']>;
};

/** The built-in tables by primary language subtag. */
export const mediaChannelLocales: Readonly<Record<string, MediaChannelStrings>> = { en, de, fr, es };

/** The table for a BCP 47 tag (`de-AT` → `de`), else English. */
export function stringsFor(lang: string | null | undefined): MediaChannelStrings {
  const primary = (lang ?? '').trim().toLowerCase().split(/[-_]/)[0] ?? '';
  return mediaChannelLocales[primary] ?? en;
}

/**
 * The locale's table with the page's overrides on top; `states` and `deviceErrors` merge key by
 * key, so overriding one state keeps the others.
 */
export function resolveStrings(
  lang: string | null | undefined,
  overrides: MediaChannelStringOverrides | undefined,
): MediaChannelStrings {
  const base = stringsFor(lang);
  if (!overrides) return base;
  return {
    ...base,
    ...overrides,
    states: { ...base.states, ...overrides.states },
    deviceErrors: { ...base.deviceErrors, ...overrides.deviceErrors },
  };
}

/** The language that applies to an element: its own `lang`, the closest ancestor's, else the document's. */
export function langOf(element: Element): string {
  const owner = element.closest('[lang]')?.getAttribute('lang');
  return owner || element.ownerDocument.documentElement.lang || 'en';
}
