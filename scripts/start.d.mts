export declare const DEFAULT_PORT: number;
export declare function freePort(preferred?: number, tries?: number): Promise<number>;
