// Test helpers other packages use to drive a real media handler: a media client bot and frame checksums.
export { MediaBot, BotPublisher, type MediaBotOptions, type ReceivedFrame } from './media-bot.ts';
export { checksum } from './frames.ts';
